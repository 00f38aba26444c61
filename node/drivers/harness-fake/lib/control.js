'use strict';
// The served emulator's control API, as the harnessfake driver calls it: one
// phone under /_harness/phones/{id}; every error answer becomes an Appium error
// carrying the control API's own message, so a test reads why and what to do.

const { errors } = require('appium/driver');

const TIMEOUT_MS = 30000;

class ControlApi {
  /**
   * @param {string} baseUrl the control API's base, such as http://127.0.0.1:8001/_harness
   * @param {string | undefined} token the bearer token, when the server wants one
   */
  constructor(baseUrl, token) {
    this.baseUrl = String(baseUrl).replace(/\/+$/, '');
    this.token = token;
  }

  /** Put a new phone on the rack; answer its state (its id among it). */
  async createPhone(body) {
    return await this.request('POST', '/phones', body);
  }

  /** Answer one phone's state. */
  async phone(id) {
    return await this.request('GET', `/phones/${encodeURIComponent(id)}`);
  }

  /** Give a phone a command (install, launch, push, ...); answer its state. */
  async command(id, name, body = {}) {
    return await this.request('POST', `/phones/${encodeURIComponent(id)}/${name}`, body);
  }

  /** Use one of the app's screens (log_in, add_to_cart, ...); answer the state. */
  async action(id, name, body = {}) {
    const path = `/phones/${encodeURIComponent(id)}/actions/${encodeURIComponent(name)}`;
    return await this.request('POST', path, body);
  }

  /** Take a phone off the rack; answer its last state. */
  async removePhone(id) {
    return await this.request('DELETE', `/phones/${encodeURIComponent(id)}`);
  }

  /** Answer what the phone shows, as mobile: getNotifications does. */
  async notifications(id) {
    return await this.request('GET', `/phones/${encodeURIComponent(id)}/notifications`);
  }

  async request(method, path, body) {
    const headers = { accept: 'application/json' };
    if (this.token) {
      headers.authorization = `Bearer ${this.token}`;
    }
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
    }
    const url = `${this.baseUrl}${path}`;
    let response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      const cause = error && error.cause ? ` (${error.cause.message || error.cause})` : '';
      throw new errors.UnknownError(
        `the harness control API at ${this.baseUrl} did not answer ${method} ${path}: ` +
          `${error.message}${cause}. Check harness:controlUrl and that the server runs.`,
      );
    }
    const text = await response.text();
    let document = null;
    try {
      document = text ? JSON.parse(text) : null;
    } catch {
      document = null;
    }
    if (response.ok) {
      return document;
    }
    const refused = refusal(response.status, document, text, `${method} ${path}`);
    refused.controlStatus = response.status;
    throw refused;
  }
}

/**
 * Return the Appium error for a control API error answer: invalid argument for
 * 400 and 404, invalid element state for 409 (the phone is not in a state the
 * command needs), unsupported operation for 422, unknown error otherwise. A 401
 * says the control token is missing or wrong, naming its capability.
 */
function refusal(status, document, text, request) {
  const error = document && document.error ? document.error : null;
  const code = error ? error.code : 'unexpected';
  const message = error ? error.message : `${request} answered ${status}: ${text.slice(0, 300)}`;
  const full = `${message} [harness control API: ${status} ${code}]`;
  if (status === 401) {
    return new errors.UnknownError(
      `the harness control API refused ${request}: the control token is missing or ` +
        'wrong. Give the token harness serve printed at start (HARNESS_CONTROL_TOKEN) ' +
        `as the harness:controlToken capability. ${full}`,
    );
  }
  if (status === 409) {
    return new errors.InvalidElementStateError(full);
  }
  if (status === 422) {
    return new errors.UnsupportedOperationError(full);
  }
  if (status === 400 || status === 404) {
    return new errors.InvalidArgumentError(full);
  }
  return new errors.UnknownError(full);
}

module.exports = { ControlApi, refusal };
