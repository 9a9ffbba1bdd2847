def repl():
    while True:
        exec(input(">>> "))
