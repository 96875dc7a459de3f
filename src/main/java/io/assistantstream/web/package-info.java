/**
 * What the service serves to browsers besides {@code /ws}: the browser client
 * ({@link io.assistantstream.web.ClientScript}, {@code GET /client.js}, always) and the page to try the
 * service ({@link io.assistantstream.web.DemoPage}, {@code GET /} and its assets, unless
 * {@code DEMO_PAGE=false}). The files are in the jar under {@code web/}, read once at start; no
 * build step makes them.
 *
 * <p>Every file is sent with {@code Cache-Control: no-cache} and a strong {@code ETag}: a browser
 * keeps its copy but asks each time whether it is current (a {@code 304} costs a few bytes), so the
 * client and the page never lag behind the service they talk to after an upgrade. The page's HTML
 * carries a strict {@code Content-Security-Policy} (its own scripts, styles and connections only; no
 * framing), since it holds the admin token typed into it.
 *
 * <p>The page knows the service only through its public routes: {@code /ws}, the {@code /admin}
 * routes it is given a token for, and {@code /page/settings.json}, which tells it what it cannot
 * find out alone (whether channel tokens are required and minted here, whether {@code /admin} is on
 * this port, whether its origin may open {@code /ws}).
 */
package io.assistantstream.web;
