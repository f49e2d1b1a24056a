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
    rules: {
      // The codebase's convention for a deliberately unused binding is a leading underscore
      // (`(_req, res) =>`, `{ service: _s, ...rest }`); leaving out a property with a rest
      // sibling is the idiom for "all but".
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          caughtErrorsIgnorePattern: "^_",
          ignoreRestSiblings: true,
        },
      ],
      // type-graphql takes resolver and type classes as `Function` (buildSchema's
      // `resolvers: NonEmptyArray<Function>`, decorator targets); our schema helpers pass them on.
      "@typescript-eslint/no-unsafe-function-type": "off",
    },
  },
  {
    // Tests, the web app's pages and the bench scripts read GraphQL and REST answers as untyped
    // JSON (`res.data.searchServices.edges[0]…`) and use or assert on the values; typing every
    // response shape would add nothing a failing assertion or a broken page does not already say.
    // The rest of the code keeps the rule.
    files: [
      "tests/**/*.ts",
      "**/*.test.ts",
      "web/pages/**/*.ts",
      "scripts/bench*.ts",
      "scripts/soak.ts",
    ],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    files: ["web/static/**/*.js"],
    languageOptions: {
      sourceType: "script",
      globals: {
        window: "readonly",
        document: "readonly",
        navigator: "readonly",
        console: "readonly",
      },
    },
  },
);
