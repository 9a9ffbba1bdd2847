import subprocess

from flask import request


def history():
    return subprocess.check_output("git log --oneline " + request.args["ref"], shell=True)
