// Starts the GraphiQL playground against this server's /graphql. A file of
// its own, not an inline script, so the page's policy can allow scripts
// from muster's own origin and nothing else.
(function () {
  "use strict";
  var fetcher = GraphiQL.createFetcher({ url: window.location.origin + "/graphql" });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  var firstQuery =
    "# muster's GraphQL API. Press the run button (or Ctrl-Enter) to see the\n" +
    "# network's groups; the Docs pane lists every type and field. Signed-in\n" +
    "# operations take a token from login() in the Headers tab:\n" +
    '# { "Authorization": "Bearer <token>" }\n' +
    "{\n  groups(first: 20) {\n    totalCount\n    edges { node { slug name region memberCount } }\n  }\n}\n";
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: firstQuery,
      defaultEditorToolsVisibility: true,
    })
  );
})();
