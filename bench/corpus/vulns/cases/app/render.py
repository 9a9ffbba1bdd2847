from jinja2 import Environment, FileSystemLoader

env = Environment(loader=FileSystemLoader("templates"), autoescape=False)


def page(name, **values):
    return env.get_template(name).render(**values)
