// Linting: `npm run check:lint` (CI runs it after the type check). typescript-eslint's recommended
// rules, not the type-checked preset: tsc --noEmit already checks types, and the type-aware rules
// would build the whole program again for every run.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    // Generated or copied in, not written here: dependencies, data, test output, and fixture files.
    ignores: ["node_modules/", ".data/", "coverage/", "test-results/", "data/", "tests/fixtures/"],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ["web/static/**/*.js"],
    languageOptions: {
      sourceType: "script",
      globals: { window: "readonly", document: "readonly", navigator: "readonly", console: "readonly" },
    },
  },
);
