"""Collections: the alerts, worklist and strategy effectiveness collectors act on (docs/collections.md)."""
