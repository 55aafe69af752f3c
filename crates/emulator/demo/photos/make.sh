#!/bin/sh
# Draws the demo storage's sample photos with ImageMagick 6: scenes drawn at
# 640x400, scaled to 960x600 with a little film grain, and a caption.
set -e
W=640; H=400
finish() { # file text quality [grain]
  convert "$1" -resize 960x600 -attenuate "${4:-0.25}" +noise Gaussian \
    -gravity SouthWest -font DejaVu-Sans -pointsize 26 \
    -fill '#0009' -annotate +19+17 "$2" -fill white -annotate +18+18 "$2" \
    -strip -quality "$3" "$1"
}

# Lofoten: sunrise over jagged peaks, mirrored in the sea.
convert -size ${W}x240 gradient:'#f7b267'-'#f25f5c' \
  \( -size ${W}x240 plasma:'#ffd6a0'-'#f08080' -seed 7 -blur 0x6 \) -compose blend -define compose:args=25 -composite \
  -fill '#ffe5b4' -draw "circle 460,120 460,98" \
  -fill '#2b2d42' -draw "polygon 0,240 0,170 60,120 95,150 150,70 190,140 240,100 300,160 340,90 380,60 420,130 470,110 520,170 580,120 640,160 640,240" sky.png
convert sky.png -flip -background '#1d3557' -fill '#1d3557' -colorize 45% -wave 2x40 -crop ${W}x160+0+0 +repage water.png
convert sky.png water.png -append Lofoten.jpg
finish Lofoten.jpg "Reine, Lofoten" 78

# Geiranger: a deep fjord between green walls, a waterfall.
convert -size ${W}x${H} gradient:'#8ecae6'-'#e0f4ff' \
  -fill '#2d6a4f' -draw "polygon 0,0 0,400 260,400 220,300 180,160 120,60 60,0" \
  -fill '#40916c' -draw "polygon 640,0 640,400 380,400 430,280 470,150 540,40 600,0" \
  -fill '#1b4965' -draw "polygon 150,400 250,290 400,290 490,400" \
  -stroke '#f1faee' -strokewidth 3 -draw "line 505,110 490,300" -stroke none \
  \( -size ${W}x${H} plasma:green-darkgreen -seed 3 -blur 0x2 \) -compose overlay -composite \
  Geiranger.jpg
finish Geiranger.jpg "Geirangerfjord" 78

# Northern lights: green curtains, stars, dark hills.
convert -size ${W}x${H} gradient:'#020818'-'#0b2545' \
  \( -size ${W}x${H} xc:black +noise Random -channel G -threshold 99.6% -separate +channel -negate -negate \) -compose screen -composite \
  \( -size ${W}x${H} xc:none -stroke '#52f29a' -strokewidth 26 -fill none \
     -draw "bezier 0,220 160,80 320,260 480,120 640,200" -stroke '#3ddc97' -strokewidth 14 \
     -draw "bezier 0,150 200,60 380,200 640,90" -blur 0x14 \) -compose screen -composite \
  -stroke none -fill '#01040c' -draw "polygon 0,400 0,330 90,300 180,330 290,290 400,320 520,285 640,320 640,400" \
  "Northern lights.jpg"
finish "Northern lights.jpg" "Northern lights, Tromsø" 78

# Midnight sun: low sun over the sea at the North Cape.
convert -size ${W}x260 radial-gradient:'#fff3b0'-'#e09f3e' -gravity center -extent ${W}x260 \
  -fill '#fffbe6' -draw "circle 320,215 320,180" \
  -fill '#540b0e' -draw "polygon 0,260 0,200 70,180 150,215 200,260" sky2.png
convert sky2.png -flip -background '#1d3557' -fill '#335c67' -colorize 50% -wave 3x30 -crop ${W}x140+0+0 +repage water2.png
convert sky2.png water2.png -append "Midnight sun.jpg"
finish "Midnight sun.jpg" "Midnight sun, Nordkapp" 78

# Bergen: coloured wharf houses at the harbour (a PNG).
convert -size ${W}x${H} gradient:'#a8dadc'-'#f1faee' \
  -fill '#7f8c8d' -draw "polygon 0,150 120,60 260,130 420,40 640,120 640,250 0,250" \
  -fill '#c1121f' -draw "polygon 40,300 40,190 80,150 120,190 120,300" \
  -fill '#f4a261' -draw "polygon 125,300 125,180 170,135 215,180 215,300" \
  -fill '#fefae0' -draw "polygon 220,300 220,195 255,160 290,195 290,300" \
  -fill '#e9c46a' -draw "polygon 295,300 295,175 345,130 395,175 395,300" \
  -fill '#9d0208' -draw "polygon 400,300 400,185 440,150 480,185 480,300" \
  -fill '#264653' -draw "polygon 485,300 485,200 530,160 575,200 575,300" \
  -fill '#3a506b' -draw "rectangle 0,300 640,400" \
  -fill '#1c2541' -draw "rectangle 0,296 640,304" \
  Bergen.png
finish Bergen.png "Bryggen, Bergen" 95 0
convert Bergen.png -colors 48 Bergen.png
rm -f sky.png water.png sky2.png water2.png
