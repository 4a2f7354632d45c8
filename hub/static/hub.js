/* Every page: start GOV.UK Frontend's components (the skip link, service navigation, error
   summary, radios and the rest). A file of its own rather than an inline script, so the Content
   Security Policy can allow scripts from this site only (hub/security_headers.py). */
import { initAll } from "./govuk/govuk-frontend.min.js";

initAll();
