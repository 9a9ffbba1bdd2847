def find_user(cursor, name):
    cursor.execute(f"SELECT id, email FROM users WHERE name = '{name}'")
    return cursor.fetchone()
