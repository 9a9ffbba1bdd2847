function compileRule(req) {
  const check = new Function('order', req.body.rule);
  return check;
}
