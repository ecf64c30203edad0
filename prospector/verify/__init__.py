"""Verification: earned links (placements) and syndicated copies of our content, checked on a
schedule; a lost or downgraded link raises an alert and a reclaim prospect."""
