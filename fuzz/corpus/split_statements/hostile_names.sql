CREATE TABLE "x""; DROP TABLE y; --" ("a`b" int, "/*c" text);
CREATE TABLE `m``;--` (`'q'` int);
CREATE INDEX "í 😀" ON "t" ("select");