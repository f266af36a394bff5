/** @type {import('next').NextConfig} */
const nextConfig = {
  // Keep the build offline and reproducible: no telemetry, no image optimizer downloads.
  images: { unoptimized: true },
  poweredByHeader: false,
};

export default nextConfig;
