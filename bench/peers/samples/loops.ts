const fs = require("fs");

async function load(ids) {
  const out = [];
  for (const id of ids) {
    out.push(await prisma.user.findMany({ where: { id } }));
  }
  for (let i = 0; i < ids.length; i++) {
    await User.findOne({ where: { id: ids[i] } });
  }
  const conf = fs.readFileSync("config.json", "utf8");
  return db.query("SELECT * FROM users") && conf && out;
}

function sync() {
  return fs.readFileSync("x");
}
