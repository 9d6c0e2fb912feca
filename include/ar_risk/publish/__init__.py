"""Publishing: what BI tools and collectors read."""
