"""Development tooling beside the runtime: the `couvert` command, the local PostgreSQL cluster, the
migration runner, the location config loader, the dev server and the OpenAPI generator.  Nothing in
the Lambda layer (`couvert`) imports it; a test holds that line."""
