"""Authority 0-100 from pluggable providers: imported rank lists (Tranco, Common Crawl), Open
PageRank, Moz, and the link graph Prospector has crawled. ``combine.authority_for`` is the way
in; ``ranks.import_ranks`` loads a rank list."""
