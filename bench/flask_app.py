"""The seeds' stack for comparison: the same four endpoints in Flask, served by gunicorn with 2 workers.

Run by bench/run.ts as:  gunicorn -w 2 -b 127.0.0.1:PORT --chdir bench flask_app:app
with DATABASE_URL pointing at the same PostgreSQL the TypeScript service uses. Debian packages:
python3-flask, gunicorn, python3-psycopg2 (they install for /usr/bin/python3).
"""
import os

import psycopg2
import psycopg2.pool
from flask import Flask, jsonify, request

app = Flask(__name__)
# One small pool per worker process (gunicorn forks after import, so create it lazily).
_pool = None


def pool():
    global _pool
    if _pool is None:
        _pool = psycopg2.pool.SimpleConnectionPool(1, 2, os.environ["DATABASE_URL"])
    return _pool


def query(sql, params=(), commit=False):
    conn = pool().getconn()
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            row = cur.fetchone()
        if commit:
            conn.commit()
        else:
            conn.rollback()
        return row
    finally:
        pool().putconn(conn)


@app.get("/")
def index():
    return jsonify(service="flask-baseline", version="0.1.0")


@app.get("/health/ready")
def ready():
    return jsonify(status="ready")


@app.get("/messages/<int:message_id>")
def get_message(message_id):
    row = query("SELECT id::text, text, created_at FROM messages WHERE id = %s", (message_id,))
    if row is None:
        return jsonify(error={"code": "not_found", "message": "no such message"}), 404
    return jsonify(id=row[0], text=row[1], createdAt=row[2].isoformat())


@app.post("/messages")
def create_message():
    body = request.get_json(silent=True)
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str) or not 1 <= len(text) <= 1000:
        return jsonify(error={"code": "invalid_field", "message": "text must be 1-1000 characters"}), 400
    row = query("INSERT INTO messages (text) VALUES (%s) RETURNING id::text, text, created_at", (text,), commit=True)
    return jsonify(id=row[0], text=row[1], createdAt=row[2].isoformat()), 201
