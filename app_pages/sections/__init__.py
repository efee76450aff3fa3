"""The larger parts of a page: each fetches through queries/ and draws with ui/."""
