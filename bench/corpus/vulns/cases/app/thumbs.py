import os


def make_thumbnail(filename):
    os.system("convert {} -resize 64x64 thumb.png".format(filename))
