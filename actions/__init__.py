"""Custom actions, one module per concern; the action server loads them all from here."""
