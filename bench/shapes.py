#!/usr/bin/env python3
"""Times n1lint on generated files of thirteen shapes that real code rarely has in this size: one
huge block, one huge function, thousands of definitions side by side. A pass that does
per-item work proportional to the file (quadratic in all) shows here long before it shows on
the corpus. Each shape is written at two sizes; `ratio` is the time of the large one over
the small one: about 4 for a file four times larger when the work is linear, 16 when it is
quadratic.

    bench/shapes.py [--n1lint PATH] [--base N]

Runs `n1lint --no-cache -j 1 -q --format json` on each file and prints one table: the shape,
the size, the user CPU time (from the child's rusage), findings, and the note when the file
was given up (too slow or too many facts).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile


def js_awaits(n):
    lines = ["const db = require('./db');", "async function handler(req, res) {"]
    lines += [f"  const r{i} = await db.users.findOne({{ id: req.params.id{i} }});" for i in range(n)]
    lines.append("  res.json(r0);\n}\nmodule.exports = { handler };")
    return "js", "\n".join(lines)


def js_top_awaits(n):
    lines = ["import db from './db.js';"]
    lines += [f"const r{i} = await db.query('SELECT id FROM t{i}');" for i in range(n)]
    return "mjs", "\n".join(lines)


def js_functions(n):
    lines = ["const db = require('./db');", "const axios = require('axios');"]
    for i in range(n):
        lines.append(
            f"async function handler{i}(req, res) {{\n"
            f"  const rows = await db.query('SELECT id FROM t{i} WHERE x = ?', [req.params.id]);\n"
            f"  for (const r of rows) {{ await db.update(r.id, {{ n: {i} }}); }}\n"
            f"  const resp = await axios.get('/x/' + rows.length);\n"
            f"  return res.json(rows);\n}}"
        )
    return "js", "\n".join(lines)


def js_loop(n):
    lines = ["const db = require('./db');", "async function f(items) {", "  for (const it of items) {"]
    lines += [
        f"    const v{i} = it.a{i}.b.c + await db.orders.findMany({{ where: {{ id: it.id }} }});"
        for i in range(n)
    ]
    lines.append("  }\n}\nmodule.exports = { f };")
    return "js", "\n".join(lines)


def py_views(n):
    lines = ["import logging", "from app.models import Order", "logger = logging.getLogger(__name__)"]
    for i in range(n):
        lines.append(
            f"@login_required\ndef view{i}(request):\n"
            f"    orders = Order.objects.filter(user=request.user)\n"
            f"    for o in orders:\n"
            f"        logger.info(f\"order {{o.id}} {i}\")\n"
            f"    return render(request, 't.html', {{'o': orders}})\n"
        )
    return "py", "\n".join(lines)


def py_assigns(n):
    lines = ["from app.models import Order", "def view(request):"]
    lines += [f"    x{i} = Order.objects.filter(id=x{max(i - 1, 0)})" for i in range(n)]
    lines.append("    return x0")
    return "py", "\n".join(lines)


def py_loops(n):
    lines = ["def run(items):"]
    lines += [f"    for it{i} in items:\n        if it{i}.x:\n            it{i}.save()" for i in range(n)]
    return "py", "\n".join(lines)


def js_object_methods(n):
    lines = ["module.exports = {"]
    lines += [
        f"  async m{i}(req, res) {{ const x = await this.db.find({{ id: req.id }}); "
        f"for (const y of x) {{ await y.save(); }} return res.json(x); }},"
        for i in range(n)
    ]
    lines.append("};")
    return "js", "\n".join(lines)


def rb_migration(n):
    lines = ["class AddStuff < ActiveRecord::Migration[6.1]", "  def change"]
    for i in range(n):
        lines.append(f"    add_column :users, :c{i}, :string\n    User.where(id: {i}).update_all(c{i}: 'x')")
    lines.append("  end\nend")
    return "rb", "\n".join(lines)


def rb_methods(n):
    lines = ["class Svc"]
    for i in range(n):
        lines.append(f"  def m{i}(x)\n    m{(i + 1) % n}(x)\n    Order.where(id: x).first\n  end")
    lines.append("end")
    return "rb", "\n".join(lines)


def js_routes(n):
    lines = ["const express = require('express');", "const { User, Profile } = require('./models');",
             "const router = express.Router();"]
    for i in range(n):
        lines.append(
            f"router.get('/u{i}', async (req, res) => {{\n"
            f"  const users = await User.findAll({{ where: {{ team: req.query.team }} }});\n"
            f"  if (!users) {{ return res.status(404).send(); }}\n"
            f"  for (const u of users) {{ u.p{i} = await Profile.findOne({{ where: {{ userId: u.id }} }}); }}\n"
            f"  res.json(users);\n}});"
        )
    lines.append("module.exports = router;")
    return "js", "\n".join(lines)


def py_services(n):
    lines = ["from django.db import models", "class Order(models.Model):",
             "    user = models.ForeignKey('User', on_delete=models.CASCADE)", ""]
    for i in range(n):
        lines.append(
            f"def load{i}(active):\n    found = []\n    rows = Order.objects.filter(active=active)\n"
            f"    for row in rows:\n        if row.pk:\n            user = row.user\n            found.append(user)\n"
            f"    return found\n"
        )
    return "py", "\n".join(lines)


def rb_controller(n):
    lines = ["class Post < ApplicationRecord", "  has_many :comments", "end",
             "class PostsController < ApplicationController"]
    for i in range(n):
        lines.append(
            f"  def show{i}\n    @posts = Post.where(user_id: params[:id])\n"
            f"    @posts.each do |p|\n      p.comments.count\n    end\n"
            f"    render json: @posts\n  end"
        )
    lines.append("end")
    return "rb", "\n".join(lines)


# (name, generator, items per `--base`): the large file of each shape stays under n1lint's
# default 1 MiB file size limit.
SHAPES = [
    ("one async function, N awaits", js_awaits, 1),
    ("module, N top-level awaits", js_top_awaits, 1),
    ("module, N handler functions", js_functions, 0.25),
    ("one loop, N queries", js_loop, 1),
    ("module, N decorated views", py_views, 0.3),
    ("one function, N assignments", py_assigns, 1),
    ("one function, N loops", py_loops, 0.5),
    ("object literal, N async methods", js_object_methods, 0.5),
    ("one migration, N statements", rb_migration, 1),
    ("one class, N methods", rb_methods, 1),
    ("router, N route handlers", js_routes, 0.25),
    ("module, N query helpers", py_services, 0.25),
    ("controller, N actions", rb_controller, 0.25),
]


def run(n1lint, path):
    out = path + ".json"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [n1lint, "--no-cache", "-j", "1", "-q", "--format", "json", "-o", out, path],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out, encoding="utf-8") as fh:
        report = json.load(fh)
    note = "; ".join(s["reason"][:48] for s in report.get("skipped", []))
    return after.ru_utime - before.ru_utime, len(report["findings"]), note


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n1lint", default=os.path.join(root, "target", "release", "n1lint"))
    ap.add_argument("--base", type=int, default=1500, help="items in the small file of each shape")
    args = ap.parse_args()
    if not os.access(args.n1lint, os.X_OK):
        sys.exit(f"bench/shapes.py: {args.n1lint} is missing (cargo build --release)")
    print(f"| shape | items | KB | user s | findings | ratio | note |")
    print(f"|---|--:|--:|--:|--:|--:|---|")
    with tempfile.TemporaryDirectory(prefix="n1lint-shapes.") as tmp:
        for name, make, scale in SHAPES:
            first = None
            small = max(1, int(args.base * scale))
            for n in (small, 4 * small):
                ext, text = make(n)
                path = os.path.join(tmp, f"{make.__name__}_{n}.{ext}")
                with open(path, "w", encoding="utf-8") as fh:
                    fh.write(text + "\n")
                secs, findings, note = run(args.n1lint, path)
                ratio = "" if first is None else f"{secs / max(first, 1e-3):.1f}"
                first = secs if first is None else first
                kb = os.path.getsize(path) // 1024
                print(f"| {name} | {n} | {kb} | {secs:.2f} | {findings} | {ratio} | {note} |")


if __name__ == "__main__":
    main()
