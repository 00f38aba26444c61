'use strict';
// Placeholder until the control-API forwarding lands: a FakeDriver by another name.
const { FakeDriver } = require('@appium/fake-driver');

class HarnessFakeDriver extends FakeDriver {}

module.exports = { HarnessFakeDriver };
