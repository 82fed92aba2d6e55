"""Quick order from a file (PRODUCT.md ORD5).

A partner user uploads an XLSX or CSV list of codes and quantities, maps its columns, sees
an import report and, only when he confirms, merges the recognised lines into his cart or
replaces it with them.

    files.py      reading an upload safely (R11, R12) into a `Table` of text cells
    matching.py   codes → variants → prices in bulk, the report rows (P4)
    report.py     the downloadable template and the import report as XLSX (R13)
    services.py   writes: upload, map (inline or as a background task), apply to the cart
    selectors.py  reads, always of one user's import in one partner
    tasks.py      the background processing of big files, the daily prune
    views.py      the pages under /cart/quick-order/
"""
