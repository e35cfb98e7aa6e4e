import json


def totals(orders):
    out = []
    for order in orders:
        out.append(Customer.objects.get(id=order.customer_id))
    while out:
        Item.objects.filter(order=out.pop()).delete()
    return out


def report(cursor):
    cursor.execute("SELECT * FROM orders")
    return json.dumps(Customer.objects.all()[:10])
