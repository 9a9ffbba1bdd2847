import https from 'https';

export function internalAgent(): https.Agent {
  return new https.Agent({ keepAlive: true, rejectUnauthorized: false });
}
