// The storefront's own script: it loads Customer.io's browser SDK, routes the
// page, and makes the calls a shop makes (page, product_viewed, added_to_cart,
// order_completed, identify, reset), with the properties the emulated browser
// sends (fixtures/tracking-plan.yaml).
//
// So that a driver can wait for the SDK's uploads to land, the page keeps
// window.shop: `busy` counts calls the SDK has not finished, `pending` holds the
// messageIds of calls no upload has answered yet (kept in localStorage, so calls
// the SDK holds while offline are still awaited after a reload), and `log`
// lists each call with the status its upload got. It learns the statuses by
// watching the page's own fetches to the configured apiHost.
;(function () {
  'use strict'

  var config = JSON.parse(document.getElementById('shop-config').textContent)
  var base = config.base
  var query = location.search
  var remote = config.protocol + '://' + config.apiHost + '/'
  var settingsURL = config.cdnURL + '/v1/projects/'
  var PENDING = 'shop:pending'
  var CART = 'shop:cart'
  var START_TIMEOUT = 10000

  var shop = (window.shop = {
    config: config,
    ready: false,
    error: null,
    busy: 0,
    pending: new Set(stored(PENDING, [])),
    answered: new Map(),
    log: [],
    read: 0,
    route: null,
    products: config.products,
  })

  // -- watching the SDK's uploads ---------------------------------------------

  var realFetch = window.fetch.bind(window)
  window.fetch = function (input, init) {
    var url = typeof input === 'string' ? input : input.url
    var answer = realFetch(input, init)
    if (url.indexOf(settingsURL) === 0) {
      answer.then(settingsAnswered, function (error) {
        fail('the SDK could not fetch its settings from ' + url + ': ' + error)
      })
    } else if (url.indexOf(remote) === 0) {
      var ids = messageIds(init && init.body)
      answer.then(function (response) {
        ids.forEach(function (id) {
          shop.pending.delete(id)
          shop.answered.set(id, response.status)
          shop.log.forEach(function (entry) {
            if (entry.messageId === id) entry.status = response.status
          })
        })
        save(PENDING, Array.from(shop.pending))
      }, function () {}) // a failed upload stays pending: the SDK retries it
    }
    return answer
  }

  function settingsAnswered(response) {
    if (response.ok) return
    response.clone().text().then(function (text) {
      fail('the SDK\'s settings answered ' + response.status + ': ' + text)
    })
  }

  function messageIds(body) {
    try {
      var sent = JSON.parse(body)
      var calls = Array.isArray(sent.batch) ? sent.batch : [sent]
      return calls.map(function (call) { return call.messageId }).filter(Boolean)
    } catch (error) {
      return []
    }
  }

  // -- the SDK calls ----------------------------------------------------------

  function call(method, name) {
    var args = Array.prototype.slice.call(arguments, 1)
    var sdk = window.cioanalytics
    shop.busy += 1
    return Promise.resolve(sdk[method].apply(sdk, args))
      .then(function (ctx) {
        var id = ctx && ctx.event && ctx.event.messageId
        var entry = {
          type: method,
          name: name || '',
          messageId: id || null,
          userId: sdk.user().id() || null,
          anonymousId: sdk.user().anonymousId(),
          status: id && shop.answered.has(id) ? shop.answered.get(id) : null,
        }
        shop.log.push(entry)
        if (id && !shop.answered.has(id)) {
          shop.pending.add(id)
          save(PENDING, Array.from(shop.pending))
        }
      })
      .catch(function (error) { fail(method + ' failed in the SDK: ' + error) })
      .finally(function () { shop.busy -= 1 })
  }

  // What a driver waits on: every call finished and, if `landed`, answered.
  shop.settled = function (landed, timeout) {
    var deadline = Date.now() + timeout
    return new Promise(function (resolve) {
      ;(function check() {
        var done = shop.error || (shop.ready && shop.busy === 0 &&
          (!landed || shop.pending.size === 0))
        if (done || Date.now() > deadline) resolve(shop.state())
        else setTimeout(check, 20)
      })()
    })
  }

  shop.state = function () {
    var sdk = shop.ready ? window.cioanalytics : null
    var fresh = shop.log.slice(shop.read)
    shop.read = shop.log.length
    return {
      ready: shop.ready,
      error: shop.error,
      busy: shop.busy,
      pending: shop.pending.size,
      route: shop.route,
      anonymousId: sdk ? sdk.user().anonymousId() : null,
      userId: sdk ? sdk.user().id() || null : null,
      permission: 'Notification' in window ? Notification.permission : 'unsupported',
      calls: fresh,
    }
  }

  // -- the shop ---------------------------------------------------------------

  function product(sku) {
    return shop.products.filter(function (p) { return p.sku === sku })[0]
  }

  function properties(p) {
    return { sku: p.sku, name: p.name, price: p.price, currency: p.currency }
  }

  function cartProperties(p, qty) {
    var item = Object.assign(properties(p), { qty: qty })
    var total = Math.round(p.price * qty * 100) / 100
    return Object.assign({}, item, { items: [item], cart_total: total })
  }

  function cart() { return stored(CART, []) }

  shop.go = function (path) {
    history.pushState({}, '', base + path + query)
    return show(path)
  }

  // A page call, then product_viewed on a product page; busy until both end.
  function show(path) {
    shop.route = path
    render()
    var slug = path.indexOf('/products/') === 0 ? path.slice(10) : null
    var viewed = shop.products.filter(function (p) { return p.slug === slug })[0]
    shop.busy += 1
    return call('page', path)
      .then(function () {
        if (viewed) return call('track', 'product_viewed', properties(viewed))
      })
      .finally(function () { shop.busy -= 1 })
  }

  shop.addToCart = function (sku, qty) {
    var p = product(sku)
    var items = cart()
    items.push({ sku: sku, qty: qty })
    save(CART, items)
    render()
    return call('track', 'added_to_cart', cartProperties(p, qty))
  }

  shop.buyNow = function (sku, qty) {
    return call('track', 'order_completed', cartProperties(product(sku), qty))
  }

  shop.checkout = function () {
    var items = cart().map(function (line) {
      return Object.assign(properties(product(line.sku)), { qty: line.qty })
    })
    var total = items.reduce(function (sum, i) { return sum + i.price * i.qty }, 0)
    save(CART, [])
    render()
    return call('track', 'order_completed', {
      items: items,
      cart_total: Math.round(total * 100) / 100,
    })
  }

  shop.logIn = function (email, firstName, userId) {
    var traits = { email: email }
    if (firstName) traits.first_name = firstName
    return call('identify', userId || email, traits).then(render)
  }

  shop.logOut = function () {
    window.cioanalytics.reset()
    render()
  }

  shop.askPermission = function () {
    shop.busy += 1
    return Notification.requestPermission()
      .then(render, function (error) { fail('permission request failed: ' + error) })
      .finally(function () { shop.busy -= 1 })
  }

  // -- drawing the page -------------------------------------------------------

  function render() {
    var sdk = shop.ready ? window.cioanalytics : null
    var userId = sdk ? sdk.user().id() : null
    text('cart-count', String(cart().length))
    byId('login-form').hidden = Boolean(userId)
    byId('account').hidden = !userId
    text('signed-in-as', userId || '')
    text('permission', 'Notification' in window ? Notification.permission : 'none')
    if (sdk) {
      var link = base + '/app?ajs_aid=' + encodeURIComponent(sdk.user().anonymousId())
      byId('open-in-app').setAttribute('href', link)
    }
    document.querySelectorAll('a.nav').forEach(function (a) {
      a.setAttribute('href', base + a.dataset.route + query)
    })
    renderView()
  }

  function renderView() {
    var view = byId('view')
    var path = shop.route || '/'
    var slug = path.indexOf('/products/') === 0 ? path.slice(10) : null
    var shown = shop.products.filter(function (p) { return p.slug === slug })[0]
    if (shown) {
      view.innerHTML = '<h1 id="product-name"></h1><p id="product-price"></p>'
      text('product-name', shown.name)
      text('product-price', shown.currency + ' ' + shown.price.toFixed(2))
    } else if (path === '/cart') {
      var lines = cart()
      view.innerHTML = '<h1>Cart</h1><ul id="cart-lines"></ul>' +
        '<button id="checkout" type="button">Place order</button>'
      lines.forEach(function (line) {
        var li = document.createElement('li')
        li.textContent = line.qty + ' x ' + product(line.sku).name
        byId('cart-lines').appendChild(li)
      })
      byId('checkout').disabled = !shop.ready || lines.length === 0
      byId('checkout').onclick = shop.checkout
    } else if (path === '/app') {
      view.innerHTML = '<h1>Get the app</h1><p>Install the shop\'s app to go on.</p>'
    } else {
      view.innerHTML = shop.products.length
        ? '<h1>Welcome</h1>'
        : '<h1>Nothing for sale</h1><p>The served project has no ' +
          'fixtures/catalog.yaml.</p>'
    }
  }

  function drawCatalog() {
    var list = byId('products')
    shop.products.forEach(function (p) {
      var li = document.createElement('li')
      li.dataset.sku = p.sku
      li.innerHTML = '<a class="view"></a> <span class="price"></span> ' +
        '<input class="qty" type="number" min="1" value="1"> ' +
        '<button class="add" type="button" disabled>Add to cart</button> ' +
        '<button class="buy" type="button" disabled>Buy now</button>'
      var link = li.querySelector('a.view')
      link.textContent = p.name
      link.setAttribute('href', base + '/products/' + p.slug + query)
      link.onclick = function (event) {
        event.preventDefault()
        shop.go('/products/' + p.slug)
      }
      li.querySelector('.price').textContent = p.currency + ' ' + p.price.toFixed(2)
      var qty = function () {
        return Math.max(1, parseInt(li.querySelector('.qty').value, 10) || 1)
      }
      li.querySelector('.add').onclick = function () { shop.addToCart(p.sku, qty()) }
      li.querySelector('.buy').onclick = function () { shop.buyNow(p.sku, qty()) }
      list.appendChild(li)
    })
  }

  function wire() {
    document.querySelectorAll('a.nav').forEach(function (a) {
      a.onclick = function (event) {
        event.preventDefault()
        shop.go(a.dataset.route)
      }
    })
    byId('login-form').onsubmit = function (event) {
      event.preventDefault()
      shop.logIn(
        byId('login-email').value.trim(),
        byId('login-first-name').value.trim(),
        byId('login-user-id').value.trim()
      )
    }
    byId('logout').onclick = shop.logOut
    byId('enable-push').onclick = shop.askPermission
    window.addEventListener('popstate', function () { show(routeOf(location)) })
    if (navigator.permissions) {
      navigator.permissions.query({ name: 'notifications' }).then(function (status) {
        status.onchange = render
      })
    }
  }

  function routeOf(where) {
    var path = where.pathname.slice(base.length)
    return path === '' ? '/' : path
  }

  // -- loading the SDK --------------------------------------------------------

  function loadSDK() {
    // The standalone build reads its write key, load options and CDN from the
    // global it is told to use, here Customer.io's own name for it.
    var snippet = []
    snippet._writeKey = config.writeKey
    snippet._cdn = config.cdnURL
    var destination = {}
    destination[config.destination] = {
      apiHost: config.apiHost,
      protocol: config.protocol,
    }
    snippet._loadOptions = { integrations: destination }
    window.cioanalytics = snippet
    var script = document.createElement('script')
    script.src = base + '/sdk/analytics.js'
    script.dataset.globalCustomerioAnalyticsKey = 'cioanalytics'
    script.onerror = function () {
      realFetch(script.src)
        .then(function (response) { return response.text() })
        .then(function (text) { fail('the SDK did not load: ' + text) })
        .catch(function (error) { fail('the SDK did not load: ' + error) })
    }
    document.head.appendChild(script)
    var deadline = Date.now() + START_TIMEOUT
    ;(function started() {
      if (shop.error) return
      if (!Array.isArray(window.cioanalytics)) return ready()
      if (Date.now() > deadline) {
        return fail('the SDK did not start within ' + START_TIMEOUT / 1000 + ' s')
      }
      setTimeout(started, 20)
    })()
  }

  function ready() {
    shop.ready = true
    var status = byId('sdk-status')
    status.dataset.state = 'ready'
    status.textContent = 'SDK ready: workspace ' + config.workspace
    document.querySelectorAll('button').forEach(function (b) { b.disabled = false })
    show(routeOf(location))
  }

  function fail(reason) {
    if (shop.error) return
    shop.error = reason
    var status = byId('sdk-status')
    status.dataset.state = 'failed'
    status.textContent = reason
  }

  // -- small helpers ----------------------------------------------------------

  function byId(id) { return document.getElementById(id) }

  function text(id, value) { byId(id).textContent = value }

  function stored(key, fallback) {
    try {
      var value = JSON.parse(localStorage.getItem(key))
      return value === null ? fallback : value
    } catch (error) {
      return fallback
    }
  }

  function save(key, value) { localStorage.setItem(key, JSON.stringify(value)) }

  drawCatalog()
  wire()
  render()
  loadSDK()
})()
