"""The baseline of bench/http_bench.py: a bare Flask app served the same way (`gunicorn bench.hello_app:app`)."""
from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "Hello, World!"
