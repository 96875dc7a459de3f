package io.assistantstream.intake;

import java.net.URI;
import java.util.List;

import com.rabbitmq.client.Address;
import com.rabbitmq.client.AddressResolver;
import com.rabbitmq.client.ConnectionFactory;

/**
 * The brokers of {@code RABBITMQ_URL}, tried in the order given at every connection and every
 * recovery: the first that answers is used. amqp-client shuffles a list by default; an operator who
 * lists a preferred node first (the nearest, the one the queue leads on) gets it while it is up.
 */
final class BrokerAddresses implements AddressResolver {
    private final List<Address> addresses;

    BrokerAddresses(List<URI> urls) {
        this.addresses = urls.stream().map(url -> new Address(url.getHost(), url.getPort() > 0 ? url.getPort()
                : "amqps".equalsIgnoreCase(url.getScheme()) ? ConnectionFactory.DEFAULT_AMQP_OVER_SSL_PORT
                : ConnectionFactory.DEFAULT_AMQP_PORT)).toList();
    }

    @Override
    public List<Address> getAddresses() {
        return addresses;
    }

    @Override
    public List<Address> maybeShuffle(List<Address> input) {
        return input;
    }
}
