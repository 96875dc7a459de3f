/**
 * What a failed connection to an upstream (OpenAI, OpenWeather, a tool's endpoint) means, in words a
 * user can act on: "OpenAI could not be reached at api.openai.com: the name does not resolve". It
 * reads exceptions only; it opens no connection and decides no retry (its callers do).
 */
package io.assistantstream.network;
