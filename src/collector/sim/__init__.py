"""Portal simulator: generated reports and CMS-like portals to test the crawler against, offline."""
