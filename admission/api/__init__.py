"""The HTTP API: the Litestar application and its thin controllers."""
