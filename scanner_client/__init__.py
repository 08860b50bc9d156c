"""The client PCs of admission: the gate (`scanner-client`) and the box-office till, on one client core."""
