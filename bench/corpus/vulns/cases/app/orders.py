def order_total(cur, order_id):
    cur.execute("SELECT SUM(price) FROM items WHERE order_id = %s" % order_id)
    return cur.fetchone()[0]
