public class Ping {
    public Process ping(String host) throws java.io.IOException {
        return Runtime.getRuntime().exec("ping -c 1 " + host);
    }
}
