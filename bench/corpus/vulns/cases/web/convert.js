const { exec } = require('child_process');

function convert(req, res) {
  exec(`convert ${req.body.file} -resize 64x64 out.png`, (err) => res.sendStatus(err ? 500 : 200));
}

module.exports = convert;
