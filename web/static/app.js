// Progressive enhancement only: every page works without this file.
import { initAll } from "/static/govuk-frontend.min.js";

initAll();

for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
