'use strict';
// harnessfake: an Appium driver whose device is an emulated phone of a served
// harness emulator. It is Appium's fake driver (the XML UI, locators, typing)
// plus the real drivers' `mobile:` commands, each forwarded to the phone's
// control API, and buttons whose clicks use the app's screens there.

const path = require('node:path');
const { FakeDriver } = require('@appium/fake-driver');
const { errors } = require('appium/driver');
const { ControlApi } = require('./control');
const { EXECUTE_METHOD_MAP, METHODS } = require('./methods');

const SHOP_XML = path.resolve(__dirname, '..', 'app', 'shop.xml');
const CAPS = {
  controlUrl: 'harness:controlUrl',
  controlToken: 'harness:controlToken',
  phoneId: 'harness:phoneId',
  profile: 'harness:deviceProfile',
  workspace: 'harness:workspace',
  name: 'harness:deviceName',
  answers: 'harness:answersPrompt',
  keepPhone: 'harness:keepPhone',
};
// what each string capability holds, for the refusal of an empty or odd one
const STRING_CAPS = {
  [CAPS.controlUrl]: 'the control API base, such as http://127.0.0.1:8001/_harness',
  [CAPS.controlToken]: 'the token harness serve printed at start',
  [CAPS.phoneId]: 'the id of a phone on the rack, such as phone-1',
  [CAPS.profile]: 'a device profile name, such as android-14-pixel',
  [CAPS.workspace]: 'a workspace name, such as default',
  [CAPS.name]: "the phone's name in timelines",
  [CAPS.answers]: 'allow, deny or dismiss',
};

class HarnessFakeDriver extends FakeDriver {
  static executeMethodMap = { ...FakeDriver.executeMethodMap, ...EXECUTE_METHOD_MAP };

  constructor(opts = {}, shouldValidateCaps = true) {
    super(opts, shouldValidateCaps);
    // the fake driver's own constraints, with its app optional: the shop UI
    this.desiredCapConstraints = {
      ...this.desiredCapConstraints,
      app: { isString: true },
    };
    this.control = null;
    this.phoneId = null;
    this.removeOnEnd = false;
    // FakeDriver sets click on each instance, so wrap that one
    const click = this.click;
    this.click = async (elementId) => {
      await click.call(this, elementId);
      await this.forwardClick(elementId);
    };
  }

  async createSession(w3cCapabilities1, w3cCapabilities2, w3cCapabilities3, driverData) {
    withShopUi(w3cCapabilities1, w3cCapabilities2, w3cCapabilities3);
    const [sessionId, caps] = await super.createSession(
      w3cCapabilities1,
      w3cCapabilities2,
      w3cCapabilities3,
      driverData,
    );
    try {
      await this.attach(caps);
    } catch (error) {
      await super.deleteSession(sessionId).catch(() => {});
      throw new errors.SessionNotCreatedError(error.message);
    }
    caps[CAPS.phoneId] = this.phoneId;
    return [sessionId, caps];
  }

  /** Reach the control API and create the session's phone, or find the given one. */
  async attach(caps) {
    checkCaps(caps);
    const url = caps[CAPS.controlUrl];
    if (!url) {
      throw new Error(
        `the ${CAPS.controlUrl} capability is missing: give the served emulator's ` +
          'control API base, such as http://127.0.0.1:8001/_harness.',
      );
    }
    this.control = new ControlApi(url, caps[CAPS.controlToken]);
    const given = caps[CAPS.phoneId];
    if (given) {
      this.phoneId = (await this.control.phone(given)).id;
      return;
    }
    const profile = caps[CAPS.profile];
    if (!profile) {
      throw new Error(
        `give ${CAPS.profile} (a device profile's name, such as android-14-pixel) ` +
          `for a new phone, or ${CAPS.phoneId} to attach to one on the rack.`,
      );
    }
    const body = { profile, workspace: caps[CAPS.workspace] || 'default' };
    if (caps[CAPS.name]) {
      body.name = caps[CAPS.name];
    }
    if (caps[CAPS.answers]) {
      body.answers_prompt = caps[CAPS.answers];
    }
    this.phoneId = (await this.control.createPhone(body)).id;
    this.removeOnEnd = caps[CAPS.keepPhone] !== true;
    this.log.info(`session phone ${this.phoneId} (${profile}) on ${url}`);
  }

  async deleteSession(sessionId) {
    // a phone this session made leaves the rack with it, unless harness:keepPhone;
    // one it attached to by harness:phoneId stays, since it was there before
    if (this.control && this.removeOnEnd) {
      await this.removePhone();
    }
    this.control = null;
    return await super.deleteSession(sessionId);
  }

  /** Take the session's own phone off the rack; a phone already gone is fine. */
  async removePhone() {
    try {
      await this.control.removePhone(this.phoneId);
      this.log.info(`session phone ${this.phoneId} left the rack`);
    } catch (error) {
      if (error.controlStatus !== 404) {
        this.log.warn(`could not take phone ${this.phoneId} off the rack: ${error.message}`);
      }
    }
  }

  /** Use the app screen a tapped button names, with the typed form fields. */
  async forwardClick(elementId) {
    const element = this.getElement(elementId);
    const attrs = element.nodeAttrs;
    if (!attrs.action || !this.control) {
      return;
    }
    const body = {};
    for (const name of (attrs.fields || '').split(/\s+/).filter(Boolean)) {
      const value = this.typed(name);
      if (value !== '') {
        body[name] = name === 'qty' && /^\d+$/.test(value) ? Number(value) : value;
      }
    }
    if (attrs.sku) {
      body.sku = attrs.sku;
    }
    await this.control.action(this.phoneId, attrs.action, body);
  }

  /** Return what was typed into the input field with this id, or ''. */
  typed(id) {
    for (const element of Object.values(this.elMap)) {
      if (element.type === 'MockInputField' && element.nodeAttrs.id === id) {
        return element.getAttr('value');
      }
    }
    return '';
  }
}

Object.assign(HarnessFakeDriver.prototype, METHODS);

/** Refuse a harness capability given with a value it cannot hold, naming it. */
function checkCaps(caps) {
  for (const [name, holds] of Object.entries(STRING_CAPS)) {
    const value = caps[name];
    if (value !== undefined && (typeof value !== 'string' || value.trim() === '')) {
      throw new Error(
        `the ${name} capability is ${JSON.stringify(value)}, and it takes a non-empty ` +
          `string: ${holds}. Give one, or leave the capability out.`,
      );
    }
  }
  const keep = caps[CAPS.keepPhone];
  if (keep !== undefined && typeof keep !== 'boolean') {
    throw new Error(
      `the ${CAPS.keepPhone} capability is ${JSON.stringify(keep)}, and it takes true ` +
        '(the phone stays on the rack after the session) or false (the default).',
    );
  }
}

/** Point a session without appium:app at the shop UI this driver ships. */
function withShopUi(...w3cCaps) {
  const caps = w3cCaps.find((c) => c && (c.alwaysMatch || c.firstMatch));
  if (!caps) {
    return;
  }
  const firstMatch = caps.firstMatch || [];
  const always = caps.alwaysMatch || {};
  const given = 'appium:app' in always || firstMatch.some((c) => 'appium:app' in c);
  if (!given) {
    caps.alwaysMatch = { ...always, 'appium:app': SHOP_XML };
  }
}

module.exports = { HarnessFakeDriver, SHOP_XML };
