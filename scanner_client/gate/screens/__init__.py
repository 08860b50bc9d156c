"""Screens of the gate app: the gate itself, unsynced passages and conflicts, supervisor override."""
