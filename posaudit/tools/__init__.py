"""Tools around the product rather than the product itself: the demo landing-zone generator
(``generator``, behind ``posaudit generate``) and the scorer that compares a warehouse with a
zone's labels (``evaluate``, behind ``posaudit evaluate``)."""
