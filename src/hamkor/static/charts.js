// Draws each chart of a dashboard again with vega-embed, for its tooltips. The server's SVG
// stays in place where JavaScript does not run or the drawing fails. Vega reads expressions
// with its interpreter, so the page's Content-Security-Policy needs no 'unsafe-eval'.
import { expressionInterpreter } from "/vendor/vega-interpreter/vega-interpreter.js";

for (const holder of document.querySelectorAll(".chart-svg[data-spec]")) {
  if (!window.vegaEmbed) break;
  const target = document.createElement("div");
  const options = {
    renderer: "svg",
    actions: false,
    ast: true,
    expr: expressionInterpreter,
    defaultStyle: false,
    tooltip: { disableDefaultStyle: true },
    formatLocale: JSON.parse(holder.dataset.locale),
  };
  window
    .vegaEmbed(target, JSON.parse(holder.dataset.spec), options)
    .then(() => {
      holder.replaceChildren(target);
      holder.dataset.embedded = "true";
    })
    .catch(() => {});
}
