// Starts Swagger UI on the API's schema; kept out of the page so that its CSP needs no inline script.
const root = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({
  url: root.dataset.openapiUrl,
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: false,
  // Some 150 operations: the tags come folded, each opened by its reader. Unfolded, Swagger
  // UI 5.36 stopped drawing after the second tag once the document passed about 140.
  docExpansion: "none",
});
