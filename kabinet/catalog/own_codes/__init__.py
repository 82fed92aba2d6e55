"""A partner's own article codes (ORD2): the table its users keep of their codes for our
products, which catalog search and the quick order read (catalog.PartnerArticle).

    list, search, delete one, download  →  upload an XLSX/CSV (own code, SKU or EAN)
    →  the report (rows read, recognised, rejected with row and reason)  →  merge or replace

The file is read by the quick order's safe reader (orders.quick_order.files: R11, R12).
Nothing in the table changes before the user confirms (services.partner_articles_apply).
"""
