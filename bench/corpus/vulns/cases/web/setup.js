process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';

module.exports = require('./client');
