"""The order lists' number search on indexes (QUALITY.md P7): ours, the ERP's and the PO
number each upper-cased and code-point ordered (`NumberKey`), within a partner and across
partners, so a prefix is an index range. Indexes only: no column to fill or keep in step."""

import kabinet.orders.models
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0003_quick_order_import'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='order',
            index=models.Index(models.F('partner'), kabinet.orders.models.NumberKey('number'), name='orders_partner_number_key'),
        ),
        migrations.AddIndex(
            model_name='order',
            index=models.Index(models.F('partner'), kabinet.orders.models.NumberKey('erp_number'), name='orders_partner_erp_key'),
        ),
        migrations.AddIndex(
            model_name='order',
            index=models.Index(models.F('partner'), kabinet.orders.models.NumberKey('po_number'), name='orders_partner_po_key'),
        ),
        migrations.AddIndex(
            model_name='order',
            index=models.Index(kabinet.orders.models.NumberKey('number'), name='orders_number_key'),
        ),
        migrations.AddIndex(
            model_name='order',
            index=models.Index(kabinet.orders.models.NumberKey('erp_number'), name='orders_erp_key'),
        ),
        migrations.AddIndex(
            model_name='order',
            index=models.Index(kabinet.orders.models.NumberKey('po_number'), name='orders_po_key'),
        ),
    ]
