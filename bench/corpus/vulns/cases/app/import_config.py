import yaml
from flask import request


def import_settings():
    settings = yaml.load(request.data)
    return settings.get("profile")
