'use strict';
// The `mobile:` execute methods of the real drivers (UiAutomator2, XCUITest),
// with their parameter names, each forwarded to the phone's control API; and a
// few `harness:` ones no real driver has. Both appId and bundleId are accepted
// wherever a real driver takes either.

const path = require('node:path');
const { errors } = require('appium/driver');

const APP = ['appId', 'bundleId'];
const POST_NOTIFICATIONS = 'android.permission.POST_NOTIFICATIONS';
const APP_FILE = /\.(ya?ml|apk|aab|app|ipa|zip)$/i;
const PERMISSION_TYPES = ['granted', 'denied', 'requested'];
const SHOWN_CHARS = 200;

/** Return how an error message quotes a value it got: JSON, cut short. */
function shown(value) {
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS)}...` : text;
}

const EXECUTE_METHOD_MAP = {
  'mobile: installApp': {
    command: 'hInstallApp',
    params: {
      optional: [
        'app', 'appPath', 'bundleId', 'appId', 'grantPermissions', 'replace',
        'timeout', 'timeoutMs', 'allowTestPackages', 'useSdcard', 'checkVersion',
      ],
    },
  },
  'mobile: removeApp': {
    command: 'hRemoveApp',
    params: { optional: [...APP, 'keepData', 'timeout'] },
  },
  'mobile: isAppInstalled': { command: 'hIsAppInstalled', params: { optional: APP } },
  'mobile: activateApp': {
    command: 'hActivateApp',
    params: { optional: [...APP, 'arguments', 'environment'] },
  },
  'mobile: terminateApp': {
    command: 'hTerminateApp',
    params: { optional: [...APP, 'timeout'] },
  },
  'mobile: queryAppState': { command: 'hQueryAppState', params: { optional: APP } },
  'mobile: clearApp': { command: 'hClearApp', params: { optional: APP } },
  'mobile: backgroundApp': { command: 'hBackgroundApp', params: { optional: ['seconds'] } },
  'mobile: changePermissions': {
    command: 'hChangePermissions',
    params: { required: ['permissions'], optional: ['appPackage', 'action', 'target'] },
  },
  'mobile: getPermissions': {
    command: 'hGetPermissions',
    params: { optional: ['type', 'appPackage'] },
  },
  'mobile: setPermission': {
    command: 'hSetPermission',
    params: { required: ['access'], optional: ['bundleId'] },
  },
  'mobile: getPermission': {
    command: 'hGetPermission',
    params: { required: ['service'], optional: ['bundleId'] },
  },
  'mobile: pushNotification': {
    command: 'hPushNotification',
    params: { required: ['payload'], optional: ['bundleId'] },
  },
  'mobile: getNotifications': { command: 'hGetNotifications' },
  'mobile: openNotifications': { command: 'hOpenNotifications' },
  'mobile: deepLink': {
    command: 'hDeepLink',
    params: { required: ['url'], optional: ['package', 'bundleId', 'waitForLaunch'] },
  },
  'mobile: alert': {
    command: 'hAlert',
    params: { required: ['action'], optional: ['buttonLabel'] },
  },
  'harness: tapNotification': {
    command: 'hTapNotification',
    params: { required: ['notification'] },
  },
  'harness: phone': { command: 'hPhone' },
  'harness: action': {
    command: 'hAction',
    params: { required: ['name'], optional: ['fields'] },
  },
};

/** Return the app profile name installApp means: a name, or a path's file stem. */
function appProfileName(given) {
  const text = String(given);
  if (text.includes('/') || text.includes('\\') || APP_FILE.test(text)) {
    return path.basename(text).replace(APP_FILE, '');
  }
  return text;
}

/** Return whether a real driver's app id names the phone's installed app. */
function names(phone, appId, bundleId) {
  const wanted = appId ?? bundleId;
  return phone.bundle_id !== null && (!wanted || wanted === phone.bundle_id);
}

const METHODS = {
  async hInstallApp(app, appPath, bundleId, appId, grantPermissions) {
    const key = app !== undefined && app !== null ? 'app' : 'appPath';
    const given = app ?? appPath;
    if (typeof given !== 'string' || given.trim() === '') {
      throw new errors.InvalidArgumentError(
        `mobile: installApp needs "${key}", a string: the name of an app profile in ` +
          'the project\'s fixtures/apps/, such as "reference", or a path whose file ' +
          `name is one (.../reference.apk); got ${shown(given)}.`,
      );
    }
    const body = { app: appProfileName(given) };
    if (grantPermissions) {
      body.grant_permissions = true;
    }
    await this.control.command(this.phoneId, 'install', body);
    return null;
  },

  async hRemoveApp(appId, bundleId) {
    const phone = await this.control.phone(this.phoneId);
    if (!names(phone, appId, bundleId)) {
      return false;
    }
    await this.control.command(this.phoneId, 'uninstall');
    return true;
  },

  async hIsAppInstalled(appId, bundleId) {
    return names(await this.control.phone(this.phoneId), appId, bundleId);
  },

  async hActivateApp(appId, bundleId) {
    const body = {};
    if (appId ?? bundleId) {
      body.bundle_id = appId ?? bundleId;
    }
    await this.control.command(this.phoneId, 'launch', body);
    return null;
  },

  async hTerminateApp(appId, bundleId) {
    const phone = await this.control.phone(this.phoneId);
    if (!names(phone, appId, bundleId)) {
      return false;
    }
    const after = await this.control.command(this.phoneId, 'terminate');
    return after.was_running;
  },

  async hQueryAppState(appId, bundleId) {
    const phone = await this.control.phone(this.phoneId);
    return names(phone, appId, bundleId) ? phone.app_state : 0;
  },

  async hClearApp(appId, bundleId) {
    const body = {};
    if (appId ?? bundleId) {
      body.bundle_id = appId ?? bundleId;
    }
    await this.control.command(this.phoneId, 'clear', body);
    return true;
  },

  async hBackgroundApp(seconds) {
    await this.control.command(this.phoneId, 'background', { seconds: seconds ?? 0 });
    return null;
  },

  async hChangePermissions(permissions, appPackage, action = 'grant', target = 'pm') {
    const listed = Array.isArray(permissions) ? permissions : [permissions];
    if (!['grant', 'revoke'].includes(String(action).toLowerCase())) {
      throw new errors.InvalidArgumentError(
        `mobile: changePermissions takes action 'grant' or 'revoke', not '${action}'.`,
      );
    }
    const ours = listed.some((p) => p === 'all' || p === POST_NOTIFICATIONS);
    if (target !== 'pm' || !ours) {
      this.log.info(
        `changePermissions ${action} ${listed.join(', ')} (target ${target}): the ` +
          `emulated phone models ${POST_NOTIFICATIONS} only; nothing else changes`,
      );
      if (!ours) {
        return null;
      }
    }
    const notifications = String(action).toLowerCase() === 'revoke' ? 'revoke' : 'grant';
    await this.control.command(this.phoneId, 'permission', { notifications });
    return null;
  },

  async hGetPermissions(type = 'requested') {
    if (!PERMISSION_TYPES.includes(type)) {
      throw new errors.InvalidArgumentError(
        `mobile: getPermissions takes "type" ${PERMISSION_TYPES.join(', ')} ` +
          `(default requested), not ${shown(type)}.`,
      );
    }
    const phone = await this.control.phone(this.phoneId);
    if (phone.bundle_id === null) {
      return [];
    }
    const granted = phone.notifications === 'granted';
    if (type === 'granted') {
      return granted ? [POST_NOTIFICATIONS] : [];
    }
    if (type === 'denied') {
      return granted ? [] : [POST_NOTIFICATIONS];
    }
    return [POST_NOTIFICATIONS];
  },

  async hSetPermission(access) {
    if (!access || typeof access !== 'object') {
      throw new errors.InvalidArgumentError(
        'mobile: setPermission needs "access", an object such as {"notifications": "yes"}.',
      );
    }
    const value = access.notifications;
    if (value === undefined) {
      this.log.info(`setPermission ${JSON.stringify(access)}: only notifications is modelled`);
      return null;
    }
    if (!['yes', 'no'].includes(value)) {
      throw new errors.UnsupportedOperationError(
        `setPermission notifications '${value}': the emulated phone can turn ` +
          'notifications on (yes) or off (no) in Settings, but not back to ' +
          'undecided; remove the app and install it again for that.',
      );
    }
    const notifications = value === 'yes' ? 'grant' : 'revoke';
    await this.control.command(this.phoneId, 'permission', { notifications });
    return null;
  },

  async hGetPermission(service) {
    if (service !== 'notifications') {
      return 'unset';
    }
    const phone = await this.control.phone(this.phoneId);
    const answers = { granted: 'yes', denied: 'no', provisional: 'limited' };
    return answers[phone.notifications] ?? 'unset';
  },

  async hPushNotification(payload) {
    await this.control.command(this.phoneId, 'push', { payload });
    return null;
  },

  async hGetNotifications() {
    return await this.control.notifications(this.phoneId);
  },

  async hOpenNotifications() {
    await this.control.phone(this.phoneId);
    return null;
  },

  async hDeepLink(url) {
    await this.control.command(this.phoneId, 'deeplink', { url });
    return null;
  },

  async hAlert(action) {
    if (action === 'getButtons') {
      return ["Don't Allow", 'Allow'];
    }
    if (!['accept', 'dismiss'].includes(action)) {
      throw new errors.InvalidArgumentError(
        `mobile: alert takes action 'accept', 'dismiss' or 'getButtons', not '${action}'.`,
      );
    }
    await this.control.command(this.phoneId, 'alert', { action });
    return null;
  },

  async hTapNotification(notification) {
    return await this.control.command(this.phoneId, 'tap', { notification });
  },

  async hPhone() {
    return await this.control.phone(this.phoneId);
  },

  async hAction(name, fields = {}) {
    if (typeof name !== 'string' || name === '') {
      throw new errors.InvalidArgumentError(
        `harness: action needs "name", an app action such as "log_in" or ` +
          `"add_to_cart"; got ${shown(name)}.`,
      );
    }
    if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
      throw new errors.InvalidArgumentError(
        `harness: action's "fields" is an object of the form's fields, such as ` +
          `{"email": "ada@example.com"}; got ${shown(fields)}.`,
      );
    }
    return await this.control.action(this.phoneId, name, fields);
  },
};

module.exports = { EXECUTE_METHOD_MAP, METHODS, appProfileName };
