const serialize = require('node-serialize');

function profile(req, res) {
  const prefs = serialize.unserialize(Buffer.from(req.cookies.prefs, 'base64').toString());
  res.json(prefs);
}
