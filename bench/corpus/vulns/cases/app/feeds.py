import xml.etree.ElementTree as ET

from flask import request


def import_feed():
    root = ET.fromstring(request.data)
    return [item.text for item in root.iter("title")]
