from ci_orch.cli import main

if __name__ == "__main__":
    main()
