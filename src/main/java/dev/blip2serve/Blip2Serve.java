package dev.blip2serve;

public final class Blip2Serve {
    public static void main(String[] args) { System.out.println("hi"); }
}
