"""The gate: scans decided online or offline, its Textual app, headless mode and watched folder."""
